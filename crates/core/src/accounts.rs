//! Sign-in and the credentials people hold: sessions, access tokens of every kind
//! (personal `pat_...`, Flarum `session` / `session_remember` / `developer`), Basic auth.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use serde_json::json;

use crate::Core;
use crate::abuse::{ip_subject, limits, lockout_detail};
use crate::audit::{AuditFacts, events};
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::model::{AccessTokenKind, Role, User, UserStatus};
use crate::permission::{Action, Actor, CredentialKind, Principal, Resource, Scope, role_covers_scope};
use crate::ports::{AccessToken, NewAccessToken, NewUser, SessionRecord};
use crate::secrets;

/// Idle lifetime of a session without "remember me".
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// Idle lifetime of a remembered session.
pub const REMEMBERED_SESSION_IDLE: Duration = Duration::days(30);
/// Personal access tokens start with this.
pub const TOKEN_PREFIX: &str = "pat_";
/// Other access tokens (`session`, `session_remember`, `developer`) start with this.
pub const ACCESS_TOKEN_PREFIX: &str = "tok_";
/// How often a credential's "last used" time (and a `*.used` audit event) is written.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

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

pub(crate) fn check_username(username: &str) -> CoreResult<String> {
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

pub(crate) fn check_email(email: &str) -> CoreResult<String> {
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

pub(crate) async fn hash_password(password: String) -> CoreResult<String> {
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(CoreError::internal)?
}

pub(crate) async fn verify_password(password: String, hash: String) -> CoreResult<bool> {
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
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        let username = check_username(&input.username)?;
        let email = check_email(&input.email)?;
        secrets::check_new_password(&input.password)?;
        let display_name = input
            .display_name
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| username.clone());
        let password_hash = hash_password(input.password).await?;
        let user = self
            .repo
            .insert_user(NewUser {
                username,
                email,
                display_name,
                role: input.role,
                status: UserStatus::Active,
                password_hash,
                created_at: self.now(),
            })
            .await?;
        let facts = AuditFacts::of(actor).target(format!("user:{}", user.id)).detail(json!({
            "username": user.username,
            "role": user.role.as_str(),
        }));
        self.audit(events::USER_CREATED, facts).await;
        Ok(user)
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

    /// Checks a login (username or e-mail) and password, counting failures.
    ///
    /// Errors: `invalid_credentials` for an unknown login, a wrong password or a disabled
    /// account (all alike, so accounts cannot be probed); `rate_limited` (with
    /// `retry_after_secs`) while the account is locked (5 failures in 15 minutes) or the
    /// address is (20 failures in 15 minutes, or more than 30 attempts in a minute),
    /// whatever the password.
    pub async fn check_password(
        &self,
        login: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<User> {
        if let Some(ip) = client {
            self.rate_limit(&limits::LOGIN_ATTEMPTS_PER_IP, &ip_subject(ip)).await?;
        }
        self.verify_login(login, password, client).await
    }

    /// [`Core::check_password`] without the per-minute attempt limit, for HTTP Basic, whose
    /// clients send the password with every request. Failures still count and lock.
    async fn verify_login(&self, login: &str, password: &str, client: Option<IpAddr>) -> CoreResult<User> {
        let login = login.trim();
        let address = client.map(ip_subject);
        if let Some(address) = &address {
            self.check_lockout(&limits::LOGIN_FAILURES_PER_IP, address).await?;
        }
        let user = self.repo.user_by_login(login).await?;
        // Failures count against the account, whichever of its names was typed (username or
        // e-mail); an unknown name counts against itself, so probing it costs the same.
        let account = match &user {
            Some(user) => format!("user:{}", user.id),
            None => format!("name:{}", login.to_lowercase()),
        };
        self.check_lockout(&limits::LOGIN_FAILURES_PER_ACCOUNT, &account).await?;
        let hash = user.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
        let matches = verify_password(password.to_string(), hash).await?;
        match user {
            Some(user) if matches && user.status == UserStatus::Active => {
                self.clear_failures(&limits::LOGIN_FAILURES_PER_ACCOUNT, &account).await?;
                Ok(user)
            }
            user => {
                let facts = AuditFacts::default()
                    .ip(client)
                    .target(format!("account:{}", login.to_lowercase()))
                    .detail(json!({ "known_account": user.is_some() }));
                let facts = match &user {
                    Some(u) => facts.user(u.id),
                    None => facts,
                };
                self.audit(events::LOGIN_FAILED, facts.clone()).await;
                let mut locked = Vec::new();
                if self.count_failure(&limits::LOGIN_FAILURES_PER_ACCOUNT, &account).await? {
                    locked.push(limits::LOGIN_FAILURES_PER_ACCOUNT);
                }
                if let Some(address) = &address
                    && self.count_failure(&limits::LOGIN_FAILURES_PER_IP, address).await?
                {
                    locked.push(limits::LOGIN_FAILURES_PER_IP);
                }
                for limit in locked {
                    self.audit(events::LOGIN_LOCKED, facts.clone().detail(lockout_detail(&limit))).await;
                }
                Err(CoreError::new(ErrorCode::InvalidCredentials))
            }
        }
    }

    async fn signed_in(&self, user: &User, how: CredentialKind, client: Option<IpAddr>) -> CoreResult<()> {
        self.repo.touch_user(user.id, self.now()).await?;
        let facts = AuditFacts::default().user(user.id).ip(client).detail(json!({ "via": how.as_str() }));
        self.audit(events::LOGIN_SUCCEEDED, facts).await;
        Ok(())
    }

    /// Checks a login (username or e-mail) and password and opens a browser session.
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
        self.signed_in(&user, CredentialKind::Session, client).await?;
        Ok(LoginOutcome { user, session_token, csrf_token, expires_at })
    }

    /// Checks a login and password and hands out a bearer access token: `session` (1 hour
    /// idle) or, with `remember`, `session_remember` (5 years idle). Flarum `POST
    /// /api/token`.
    ///
    /// Errors: as [`Core::check_password`].
    pub async fn login_for_token(
        &self,
        login: &str,
        password: &str,
        remember: bool,
        client: Option<IpAddr>,
    ) -> CoreResult<(AccessToken, String)> {
        let user = self.check_password(login, password, client).await?;
        let kind = if remember { AccessTokenKind::SessionRemember } else { AccessTokenKind::Session };
        let issued = self.issue_access_token(user.id, kind, "sign-in", None, None).await?;
        self.signed_in(&user, CredentialKind::AccessToken, client).await?;
        Ok(issued)
    }

    async fn issue_access_token(
        &self,
        user_id: i64,
        kind: AccessTokenKind,
        name: &str,
        scopes: Option<Vec<Scope>>,
        expires_at: Option<DateTime<Utc>>,
    ) -> CoreResult<(AccessToken, String)> {
        let prefix = if kind == AccessTokenKind::Personal { TOKEN_PREFIX } else { ACCESS_TOKEN_PREFIX };
        let secret = secrets::new_secret(prefix);
        let record = self
            .repo
            .insert_access_token(NewAccessToken {
                user_id,
                kind,
                name: name.to_string(),
                token_hash: secrets::digest(&secret),
                prefix: secret.chars().take(prefix.len() + 4).collect(),
                scopes,
                expires_at,
                created_at: self.now(),
            })
            .await?;
        Ok((record, secret))
    }

    /// Resolves HTTP Basic credentials (the base64 part of the header), when the
    /// `auth.basic_enabled` setting is on. Failures count towards the login lockout.
    ///
    /// Errors: `unauthenticated` when Basic auth is off, the header is malformed or the
    /// credentials are wrong; `rate_limited` as for [`Core::check_password`].
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
        let user = self.verify_login(login, password, client).await.map_err(|err| {
            if err.code == ErrorCode::InvalidCredentials { CoreError::unauthenticated() } else { err }
        })?;
        Ok(Principal { client, ..Principal::new(user.id, user.role, CredentialKind::Basic) })
    }

    /// Resolves a session cookie; `None` if unknown, expired, or its user is disabled.
    /// Extends the idle expiry at most once a minute.
    pub async fn authenticate_session(
        &self,
        session_token: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<Option<SessionAuth>> {
        let hash = secrets::digest(session_token);
        let Some(session) = self.repo.session_by_hash(&hash).await? else { return Ok(None) };
        let now = self.now();
        if session.expires_at <= now {
            self.repo.delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(user) = self.active_user(session.user_id).await? else { return Ok(None) };
        if now - session.last_seen_at > TOUCH_INTERVAL {
            let idle = if session.remember { REMEMBERED_SESSION_IDLE } else { SESSION_IDLE };
            self.repo.touch_session(&hash, now, now + idle).await?;
        }
        let principal = Principal { client, ..Principal::new(user.id, user.role, CredentialKind::Session) };
        Ok(Some(SessionAuth { principal, session }))
    }

    /// The user if they exist and may sign in.
    pub(crate) async fn active_user(&self, user_id: i64) -> CoreResult<Option<User>> {
        Ok(self.repo.user_by_id(user_id).await?.filter(|u| u.status == UserStatus::Active))
    }

    /// Whether `csrf_token` is the one issued with the session.
    pub fn csrf_matches(session: &SessionRecord, csrf_token: &str) -> bool {
        secrets::constant_time_eq(&secrets::digest(csrf_token), &session.csrf_hash)
    }

    /// Signs the actor out everywhere: every browser session and every login-made access
    /// token (`session`, `session_remember`) of theirs ends. Personal and developer tokens
    /// stay. Returns how many credentials ended.
    ///
    /// Errors: `unauthenticated` for a caller who is not a user; `forbidden` through a
    /// delegate (a personal token or an API key cannot sign its owner out).
    pub async fn logout(&self, actor: &Actor) -> CoreResult<u64> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        let ended = self.repo.end_sessions_of_user(user_id).await?;
        self.audit(events::LOGOUT, AuditFacts::of(actor).detail(json!({ "ended": ended }))).await;
        Ok(ended)
    }

    /// Resolves an access token of any kind; `None` if unknown, expired (fixed or idle
    /// expiry), or its user is disabled. Records its last use (time and address) at most
    /// once a minute.
    pub async fn authenticate_access_token(
        &self,
        token: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<Option<Principal>> {
        let Some(record) = self.repo.access_token_by_hash(&secrets::digest(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        let idle_expired = record
            .kind
            .idle_timeout()
            .is_some_and(|idle| record.last_used_at.unwrap_or(record.created_at) + idle <= now);
        if record.expires_at.is_some_and(|at| at <= now) || idle_expired {
            return Ok(None);
        }
        let Some(user) = self.active_user(record.user_id).await? else { return Ok(None) };
        let credential = if record.kind == AccessTokenKind::Personal {
            CredentialKind::PersonalAccessToken
        } else {
            CredentialKind::AccessToken
        };
        if record.last_used_at.is_none_or(|at| now - at > TOUCH_INTERVAL) {
            let ip = client.map(|ip| ip.to_string());
            self.repo.touch_access_token(record.id, now, ip.as_deref()).await?;
            let facts = AuditFacts { credential: Some(credential.as_str()), ..AuditFacts::default() }
                .user(user.id)
                .ip(client)
                .target(format!("token:{}", record.id));
            self.audit(events::TOKEN_USED, facts).await;
        }
        Ok(Some(Principal {
            scopes: record.scopes,
            client,
            ..Principal::new(user.id, user.role, credential)
        }))
    }

    /// Creates a token for `user_id` and returns it with its secret, which is not stored
    /// and cannot be shown again: a personal access token (`pat_...`, optional scopes and
    /// expiry) or a `developer` token (no expiry, no scopes). Users make their own through
    /// an interactive sign-in; the system actor makes anyone's.
    ///
    /// Errors: `invalid_input` (name; expiry of 1..=3650 days; a scope wider than the
    /// owner's role; scopes or expiry on a developer token; another kind); `rate_limited`
    /// (20 per user or 30 per address an hour); permission.
    pub async fn create_token(
        &self,
        actor: &Actor,
        request: TokenRequest,
    ) -> CoreResult<(AccessToken, String)> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        if !matches!(actor, Actor::System) && actor.user_id() != Some(request.user_id) {
            return Err(CoreError::forbidden());
        }
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid("name", "needs 1 to 100 characters", "需要 1 到 100 个字符"));
        }
        match request.kind {
            AccessTokenKind::Personal => {}
            AccessTokenKind::Developer => {
                if request.scopes.is_some() || request.expires_in_days.is_some() {
                    return Err(CoreError::invalid(
                        "kind",
                        "developer tokens have no scopes and never expire; use a personal token",
                        "开发者令牌没有权限范围且永不过期；请使用个人令牌",
                    ));
                }
            }
            _ => {
                return Err(CoreError::invalid(
                    "kind",
                    "only personal and developer tokens are made here; sign in for a session token",
                    "这里只能创建个人令牌和开发者令牌；会话令牌请通过登录获取",
                ));
            }
        }
        if let Some(days) = request.expires_in_days
            && !(1..=3650).contains(&days)
        {
            return Err(CoreError::invalid(
                "expires_in_days",
                "must be from 1 to 3650",
                "必须在 1 到 3650 之间",
            ));
        }
        let owner = self.repo.user_by_id(request.user_id).await?.ok_or_else(CoreError::not_found)?;
        let scopes = request.scopes.map(|mut scopes| {
            scopes.sort_by_key(|s| s.as_str());
            scopes.dedup();
            scopes
        });
        if let Some(wider) = scopes.iter().flatten().find(|scope| !role_covers_scope(owner.role, **scope)) {
            return Err(CoreError::invalid(
                "scopes",
                format!("scope `{}` is wider than the owner's role ({})", wider.as_str(), owner.role),
                format!("权限范围 `{}` 超出了所有者角色（{}）的权限", wider.as_str(), owner.role),
            ));
        }
        if !matches!(actor, Actor::System) {
            self.rate_limit(&limits::TOKENS_PER_USER, &owner.id.to_string()).await?;
            if let Some(ip) = actor.principal().and_then(|p| p.client) {
                self.rate_limit(&limits::TOKENS_PER_IP, &ip_subject(ip)).await?;
            }
        }
        let expires_at = request.expires_in_days.map(|days| self.now() + Duration::days(days));
        let issued = self.issue_access_token(owner.id, request.kind, name, scopes, expires_at).await?;
        let facts =
            AuditFacts::of(actor).user(owner.id).target(format!("token:{}", issued.0.id)).detail(json!({
                "kind": request.kind.as_str(),
                "name": name,
                "scopes": issued.0.scopes.as_ref().map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
            }));
        self.audit(events::TOKEN_CREATED, facts).await;
        Ok(issued)
    }

    /// The actor's own tokens of every kind, newest first.
    pub async fn tokens(&self, actor: &Actor) -> CoreResult<Vec<AccessToken>> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        self.repo.access_tokens_of_user(user_id).await
    }

    /// Revokes one of the actor's tokens. Errors: `not_found` if it is not theirs.
    pub async fn revoke_token(&self, actor: &Actor, token_id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        if !self.repo.delete_access_token(user_id, token_id).await? {
            return Err(CoreError::not_found());
        }
        self.audit(events::TOKEN_REVOKED, AuditFacts::of(actor).target(format!("token:{token_id}"))).await;
        Ok(())
    }
}

/// A token to create (see [`Core::create_token`]).
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub user_id: i64,
    pub name: String,
    /// `personal` or `developer`.
    pub kind: AccessTokenKind,
    pub scopes: Option<Vec<Scope>>,
    pub expires_in_days: Option<i64>,
}

impl TokenRequest {
    /// A personal access token without scopes or expiry.
    pub fn personal(user_id: i64, name: impl Into<String>) -> TokenRequest {
        TokenRequest {
            user_id,
            name: name.into(),
            kind: AccessTokenKind::Personal,
            scopes: None,
            expires_in_days: None,
        }
    }
}
