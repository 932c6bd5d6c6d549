//! What every Inkstone API shares: the application state, credential resolution, locale
//! negotiation, client addresses and the common middleware stack.
//!
//! Adapters call [`authenticate`] and render its `CoreError` in their own envelope; nothing
//! here decides what a dialect's errors look like.

pub mod cache;

/// Blob storage and the upload pipeline, for adapters (which never depend on storage
/// crates directly).
pub use inkstone_media as media;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use inkstone_core::accounts::SessionAuth;
use inkstone_core::permission::{Actor, Principal};
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
    /// Blob storage and the one upload pipeline every API calls.
    pub media: inkstone_media::MediaService,
}

impl AppState {
    /// State without a response cache, with plain (non-`Secure`) cookies and media kept in
    /// memory (the server replaces `media` with the configured storage).
    pub fn new(core: Arc<Core>) -> Self {
        let media = inkstone_media::MediaService::memory(core.clone());
        AppState { core, secure_cookies: false, response_cache: None, media }
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

/// Which credential carriers an API accepts. Each dialect picks its own; the resolution
/// behind every carrier is the core's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carriers {
    /// `Authorization: Bearer <secret>`: an access token of any kind, else an API key.
    pub bearer: bool,
    /// Flarum's `Authorization: Token <secret>[; userId=N]`: an API key, else an access
    /// token. `userId` is not trusted: a key acts as its own user.
    pub token_scheme: bool,
    /// `X-API-Key: <key>` (ulthon).
    pub api_key_header: bool,
    /// `Authorization: Basic`, when the `auth.basic_enabled` setting is on.
    pub basic: bool,
    /// The session cookie, with `X-CSRF-Token` on unsafe methods.
    pub session_cookie: bool,
    /// An emlog-style signature in the query string: `req_time` (Unix seconds) and
    /// `req_sign = md5(req_time . key)` for an API key; each signature works once.
    pub signed_query: bool,
    /// Whether a credential that is not valid fails the request (`unauthenticated`) or
    /// leaves the caller anonymous (Flarum ignores unknown tokens).
    pub reject_invalid: bool,
}

impl Carriers {
    /// What the native API accepts: everything, refusing invalid credentials.
    pub const NATIVE: Carriers = Carriers {
        bearer: true,
        token_scheme: true,
        api_key_header: true,
        basic: true,
        session_cookie: true,
        signed_query: true,
        reject_invalid: true,
    };
}

/// Header carrying an API key (ulthon).
pub const API_KEY_HEADER: &str = "x-api-key";

fn invalid_credential() -> CoreError {
    CoreError::unauthenticated().with_detail(
        "the token or key is not valid, has expired or was revoked",
        "令牌或密钥无效、已过期或已被撤销",
    )
}

async fn bearer_principal(
    core: &Core,
    secret: &str,
    client: Option<IpAddr>,
    keys_first: bool,
) -> CoreResult<Option<Principal>> {
    if keys_first && let Some(principal) = core.authenticate_api_key(secret, client).await? {
        return Ok(Some(principal));
    }
    if let Some(principal) = core.authenticate_access_token(secret, client).await? {
        return Ok(Some(principal));
    }
    if keys_first { Ok(None) } else { core.authenticate_api_key(secret, client).await }
}

/// Resolves the caller of a request with the native API's carriers (see
/// [`authenticate_with`]).
pub async fn authenticate(core: &Core, request: &Parts) -> CoreResult<Auth> {
    authenticate_with(core, Carriers::NATIVE, request).await
}

/// The value of query parameter `name`, percent-decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Resolves the caller from the carriers `carriers` allows, in this order: the
/// `Authorization` header, `X-API-Key`, a query-string signature, the session cookie. No
/// credential: anonymous.
///
/// Errors (when `reject_invalid`): `unauthenticated` for a credential that is not valid
/// or a scheme not accepted; `rate_limited` for Basic during a lockout. A stale cookie is
/// ignored (the caller is anonymous). An unsafe request authenticated by cookie must carry
/// the session's CSRF token in `X-CSRF-Token`, or it fails with `forbidden`.
pub async fn authenticate_with(core: &Core, carriers: Carriers, request: &Parts) -> CoreResult<Auth> {
    let auth = resolve(core, carriers, request).await;
    if !matches!(auth, Ok(Auth { actor: Actor::Anonymous, .. }))
        && let Some(probe) = request.extensions.get::<cache::AnonymousProbe>()
    {
        probe.saw_credential();
    }
    auth
}

async fn resolve(core: &Core, carriers: Carriers, request: &Parts) -> CoreResult<Auth> {
    let (method, headers, client) = (&request.method, &request.headers, client_ip(request));
    let refuse = |error: CoreError| if carriers.reject_invalid { Err(error) } else { Ok(Auth::anonymous()) };
    let user = |principal: Principal| Ok(Auth { actor: Actor::User(principal), session: None });
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Ok(value) = value.to_str() else { return refuse(CoreError::unauthenticated()) };
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("basic") && carriers.basic {
            return match core.authenticate_basic(credentials, client).await {
                Ok(principal) => user(principal),
                Err(err) if err.code == ErrorCode::RateLimited => Err(err),
                Err(err) => refuse(err),
            };
        }
        let found = if scheme.eq_ignore_ascii_case("bearer") && carriers.bearer {
            bearer_principal(core, credentials, client, false).await?
        } else if scheme.eq_ignore_ascii_case("token") && carriers.token_scheme {
            let secret = credentials.split(';').next().unwrap_or("").trim();
            bearer_principal(core, secret, client, true).await?
        } else {
            return refuse(CoreError::unauthenticated().with_detail(
                "unsupported Authorization scheme; use `Bearer <token or API key>`",
                "不支持的 Authorization 方案；请使用 `Bearer <令牌或 API Key>`",
            ));
        };
        return match found {
            Some(principal) => user(principal),
            None => refuse(invalid_credential()),
        };
    }
    if carriers.api_key_header
        && let Some(value) = headers.get(API_KEY_HEADER)
    {
        let key = value.to_str().unwrap_or("");
        return match core.authenticate_api_key(key, client).await? {
            Some(principal) => user(principal),
            None => refuse(invalid_credential()),
        };
    }
    if carriers.signed_query
        && let Some(req_sign) = query_param(request.uri.query(), "req_sign")
    {
        let req_time = query_param(request.uri.query(), "req_time").unwrap_or_default();
        return match core.authenticate_signature(&req_time, &req_sign, client).await? {
            Some(principal) => user(principal),
            None => refuse(CoreError::unauthenticated().with_detail(
                "the signature is wrong, outside its time window, or already used",
                "签名错误、超出有效时间或已被使用",
            )),
        };
    }
    if !carriers.session_cookie {
        return Ok(Auth::anonymous());
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(Auth::anonymous()) };
    let Some(session) = core.authenticate_session(token, client).await? else {
        return Ok(Auth::anonymous());
    };
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

/// Name of the cookie that recognizes an anonymous visitor (for likes).
pub const VISITOR_COOKIE: &str = "inkstone_visitor";

/// How long the visitor cookie lives: one year, in seconds.
pub const VISITOR_COOKIE_MAX_AGE_SECS: i64 = 365 * 24 * 60 * 60;

/// The anonymous visitor behind a request (its headers and peer address): their well-formed `inkstone_visitor` cookie
/// and address, plus a `Set-Cookie` value with a new visitor id when the request had no
/// usable cookie (send it back so the browser keeps it). With neither cookie nor address
/// known, the new id stands for the visitor at once.
pub fn visitor(
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    secure: bool,
) -> (inkstone_core::likes::Visitor, Option<String>) {
    use inkstone_core::likes::{Visitor, is_visitor_id, new_visitor_id};
    match cookie(headers, VISITOR_COOKIE).filter(|value| is_visitor_id(value)) {
        Some(value) => (Visitor { cookie: Some(value.to_string()), ip }, None),
        None => {
            let fresh = new_visitor_id();
            let secure = if secure { "; Secure" } else { "" };
            let set = format!(
                "{VISITOR_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age={VISITOR_COOKIE_MAX_AGE_SECS}{secure}"
            );
            let cookie = if ip.is_none() { Some(fresh) } else { None };
            (Visitor { cookie, ip }, Some(set))
        }
    }
}

/// The media type of a request body (`Content-Type` without parameters, lower-cased);
/// `""` when absent.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads a wall-clock time the way PHP clients send one (`strtotime` of the common forms)
/// in the site's time zone `tz`: `Y-m-d H:i:s`, `Y-m-d H:i`, `Y-m-d` (midnight), the same
/// with `/` or a `T`. `None` for anything else, and for a local time that a daylight-saving
/// change skips; an ambiguous one takes the earlier instant, as PHP does.
pub fn parse_local_datetime(text: &str, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let normalized = text.trim().replace('/', "-").replacen('T', " ", 1);
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&normalized, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&normalized, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    tz.from_local_datetime(&naive).earliest().map(|local| local.with_timezone(&chrono::Utc))
}
