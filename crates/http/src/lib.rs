//! What every Inkstone API shares: the application state, credential resolution, locale
//! negotiation, client addresses and the common middleware stack.
//!
//! Adapters call [`authenticate`] and render its `CoreError` in their own envelope; nothing
//! here decides what a dialect's errors look like.

pub mod cache;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use inkstone_core::accounts::SessionAuth;
use inkstone_core::permission::Actor;
use inkstone_core::{Core, CoreError, CoreResult, ErrorCode, Locale};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "inkstone_session";
/// Header that must carry the CSRF token on unsafe requests authenticated by cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest request body accepted by default (8 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Shared state of every router.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    /// Whether the session cookie gets the `Secure` flag (set when served over TLS).
    pub secure_cookies: bool,
    /// Micro-cache of anonymous reads; `None` turns it off.
    pub response_cache: Option<cache::ResponseCache>,
}

impl AppState {
    /// State without a response cache and with plain (non-`Secure`) cookies.
    pub fn new(core: Arc<Core>) -> Self {
        AppState { core, secure_cookies: false, response_cache: None }
    }
}

/// The caller of a request, as credentials prove it.
#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    /// Present when the caller used the session cookie.
    pub session: Option<SessionAuth>,
}

impl Auth {
    pub fn anonymous() -> Self {
        Auth { actor: Actor::Anonymous, session: None }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Resolves the caller from `Authorization: Bearer pat_...`, `Authorization: Basic` (when
/// the `auth.basic_enabled` setting is on) or the session cookie.
///
/// A bearer token that is not valid fails with `unauthenticated` (a client sending a
/// token expects it to count). A stale cookie is ignored: the caller is anonymous. An
/// unsafe request authenticated by cookie must carry the session's CSRF token in
/// `X-CSRF-Token`, or it fails with `forbidden`.
pub async fn authenticate(
    core: &Core,
    method: &Method,
    headers: &HeaderMap,
    client: Option<IpAddr>,
) -> CoreResult<Auth> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| CoreError::unauthenticated())?;
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let principal = core.authenticate_basic(credentials, client).await?;
            return Ok(Auth { actor: Actor::User(principal), session: None });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(CoreError::unauthenticated().with_detail(
                "use `Authorization: Bearer pat_...`",
                "请使用 `Authorization: Bearer pat_...`",
            ));
        }
        return match core.authenticate_token(credentials.trim()).await? {
            Some(principal) => Ok(Auth { actor: Actor::User(principal), session: None }),
            None => Err(CoreError::unauthenticated()
                .with_detail("the token is not valid or has expired", "令牌无效或已过期")),
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(Auth::anonymous()) };
    let Some(session) = core.authenticate_session(token).await? else { return Ok(Auth::anonymous()) };
    if !is_safe(method) {
        let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !Core::csrf_matches(&session.session, csrf) {
            return Err(CoreError::new(ErrorCode::Forbidden).with_detail(
                "missing or wrong X-CSRF-Token header for a cookie-authenticated request",
                "使用 Cookie 登录的请求缺少或带有错误的 X-CSRF-Token 请求头",
            ));
        }
    }
    Ok(Auth { actor: Actor::User(session.principal.clone()), session: Some(session) })
}

/// The message language for a request: `Accept-Language`, else the site's language.
pub fn locale(core: &Core, headers: &HeaderMap) -> Locale {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Locale::negotiate(accept, core.settings().language())
}

/// The peer address of a request, when the server recorded it (`None` in in-process tests).
pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// Extracts the peer address; never rejects.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// A `Set-Cookie` value for the session cookie; `None` clears it.
pub fn session_cookie(value: Option<&str>, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(value) => {
            format!(
                "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
            )
        }
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}
