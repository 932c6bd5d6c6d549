//! One emlog request as handlers see it, and emlog's three ways of proving who calls.

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use inkstone_core::Core;
use inkstone_core::accounts::SessionAuth;
use inkstone_core::permission::Actor;
use inkstone_http::AppState;

use crate::envelope::EmlogError;
use crate::params::Params;

/// Largest form body read (the server's default body limit).
const FORM_LIMIT: usize = inkstone_http::DEFAULT_BODY_LIMIT;

/// A request routed to an emlog handler: its parts, the query string and the form body
/// already parsed. A `multipart/form-data` body is left unread for [`Call::multipart`], so
/// uploads stream.
pub struct Call {
    pub state: AppState,
    pub parts: Parts,
    /// The query string (emlog `$_GET`).
    pub query: Params,
    /// The form body (emlog `$_POST`); empty for other content types and for multipart
    /// until a handler reads it.
    pub form: Params,
    /// In a mutex only so that `&Call` is `Sync` (a `Body` is not), which handlers need to
    /// hold it across an `.await`; never locked concurrently.
    body: Option<std::sync::Mutex<Body>>,
}

impl Call {
    /// Reads a request: parses the query, and a url-encoded body (other bodies than
    /// multipart are dropped, as PHP ignores them).
    ///
    /// Errors: 413 when the form body is over the server's body limit.
    pub async fn read(state: AppState, request: Request) -> Result<Call, EmlogError> {
        let (parts, body) = request.into_parts();
        let query = Params::parse(parts.uri.query().unwrap_or("").as_bytes());
        let kind = inkstone_http::media_type(&parts.headers);
        let (form, body) = if parts.method == Method::POST && kind == "application/x-www-form-urlencoded" {
            let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| EmlogError {
                status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                ..EmlogError::bad("request too large")
            })?;
            (Params::parse(&bytes), None)
        } else if parts.method == Method::POST && kind == "multipart/form-data" {
            (Params::default(), Some(std::sync::Mutex::new(body)))
        } else {
            (Params::default(), None)
        };
        Ok(Call { state, parts, query, form, body })
    }

    pub fn core(&self) -> &Core {
        &self.state.core
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The peer address (`None` in in-process tests).
    pub fn client_ip(&self) -> Option<IpAddr> {
        inkstone_http::client_ip(&self.parts)
    }

    /// emlog `$_REQUEST[name]`: the form body's value, else the query's, exactly as sent.
    pub fn request_raw(&self, name: &str) -> Option<&str> {
        self.form.raw(name).or_else(|| self.query.raw(name))
    }

    /// Whether the body is `multipart/form-data`.
    pub fn is_multipart(&self) -> bool {
        self.body.is_some()
    }

    /// The multipart body, once. Text fields the handler wants in [`Call::form`] it pushes
    /// there itself; file fields stream.
    ///
    /// Errors: `parameter error` when the body is not multipart or was already taken.
    pub async fn multipart(&mut self) -> Result<Multipart, EmlogError> {
        let body = self.body.take().ok_or_else(EmlogError::parameter)?;
        let body = body.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        let request = Request::from_parts(self.parts.clone(), body);
        Multipart::from_request(request, &()).await.map_err(|_| EmlogError::parameter())
    }

    /// The multipart body, once, without the server's default body limit: for uploads,
    /// whose size the media pipeline limits itself as it streams.
    ///
    /// Errors: `parameter error` when the body is not multipart or was already taken.
    pub async fn multipart_for_upload(&mut self) -> Result<Multipart, EmlogError> {
        use tower::{Layer, ServiceExt};
        let body = self.body.take().ok_or_else(EmlogError::parameter)?;
        let body = body.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        let request = Request::from_parts(self.parts.clone(), body);
        let read = tower::service_fn(|request: Request| async move {
            Ok::<_, std::convert::Infallible>(Multipart::from_request(request, &()).await)
        });
        let service = axum::extract::DefaultBodyLimit::disable().layer(read);
        match service.oneshot(request).await {
            Ok(Ok(multipart)) => Ok(multipart),
            Ok(Err(_)) => Err(EmlogError::parameter()),
            Err(never) => match never {},
        }
    }

    /// The site's base URL without a trailing slash (emlog `BLOG_URL` minus its slash).
    pub fn site_url(&self) -> String {
        self.core().settings().site_url().trim_end_matches('/').to_string()
    }
}

/// Which credentials an emlog action accepts (`api_controller.php`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// emlog `auth()`: the login cookie if it is present (and then only it), else `api_key`
    /// or a signature (`article_post`, `article_update`, `draft_*`, `note_*`).
    KeyOrCookie,
    /// The login cookie only (`userinfo`, `unlike`, `collect`, …).
    CookieOnly,
    /// `api_key` or a signature only (`user_detail`, `upload`).
    KeyOnly,
}

/// The name of the login cookie: `EM_AUTHCOOKIE_` and 32 hex characters that differ per
/// installation (emlog writes a random one to `config.php`; ours derives from the server
/// key).
pub fn auth_cookie_name(core: &Core) -> String {
    format!("EM_AUTHCOOKIE_{}", &core.install_digest("emlog-auth-cookie")[..32])
}

/// The signed-in session behind the login cookie, if the cookie was sent.
///
/// Errors: 401 `auth cookie error` when the cookie is present but unknown, expired, or its
/// user is disabled, or when an unsafe request carrying it comes from another site (its
/// `Origin` or `Referer` names a different host). emlog API clients send no CSRF token,
/// so this check and the cookie's `SameSite=Lax` stand in for one.
pub async fn cookie_session(call: &Call) -> Result<Option<SessionAuth>, EmlogError> {
    let name = auth_cookie_name(call.core());
    let Some(token) = inkstone_http::cookie(call.headers(), &name) else { return Ok(None) };
    if !matches!(call.parts.method, Method::GET | Method::HEAD) && !same_origin(call.headers()) {
        return Err(EmlogError::auth("auth cookie error"));
    }
    match call.core().authenticate_session(token, call.client_ip()).await? {
        Some(session) => Ok(Some(session)),
        None => Err(EmlogError::auth("auth cookie error")),
    }
}

/// Whether `Origin` (else `Referer`), when sent, names the request's own `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let source =
        headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    let Some(source) = source else { return true };
    let authority = source.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

/// Resolves the caller of an emlog action (emlog `auth()`, `checkApiKey()`,
/// `checkCookie()`):
/// - the login cookie, when `mode` allows it and it is sent: only it counts;
/// - `api_key` (query or body): any API key of `inkstone api-key create`;
/// - `req_sign` + `req_time`: `md5(req_time . key)`, within the `auth.signature_window_secs`
///   window and once only (our divergence: emlog accepts any time, forever).
///
/// Errors (all 401): `auth param error` when neither a key nor both signature parts are
/// sent (`auth cookie error` for cookie-only actions without the cookie); `auth error` for
/// a wrong, disabled, disallowed (IP) or replayed key or signature; `auth cookie error` as
/// in [`cookie_session`].
pub async fn authenticate(call: &Call, mode: AuthMode) -> Result<Actor, EmlogError> {
    if mode != AuthMode::KeyOnly
        && let Some(session) = cookie_session(call).await?
    {
        return Ok(Actor::User(session.principal));
    }
    if mode == AuthMode::CookieOnly {
        return Err(EmlogError::auth("auth cookie error"));
    }
    let core = call.core();
    let ip = call.client_ip();
    if let Some(key) = call.request_raw("api_key").filter(|k| !k.is_empty()) {
        return match core.authenticate_api_key(key, ip).await? {
            Some(principal) => Ok(Actor::User(principal)),
            None => Err(EmlogError::auth("auth error")),
        };
    }
    let sign = call.request_raw("req_sign").filter(|v| !v.is_empty());
    let time = call.request_raw("req_time").filter(|v| !v.is_empty());
    let (Some(sign), Some(time)) = (sign, time) else { return Err(EmlogError::auth("auth param error")) };
    match core.authenticate_signature(time, sign, ip).await? {
        Some(principal) => Ok(Actor::User(principal)),
        None => Err(EmlogError::auth("auth error")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn cross_site_sources_are_told_apart() {
        assert!(same_origin(&headers(&[(header::HOST, "blog.example")])));
        assert!(same_origin(&headers(&[
            (header::HOST, "blog.example"),
            (header::ORIGIN, "https://blog.example")
        ])));
        assert!(same_origin(&headers(&[
            (header::HOST, "b:8080"),
            (header::REFERER, "http://b:8080/admin/x")
        ])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "blog.example"),
            (header::ORIGIN, "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[(header::HOST, "blog.example"), (header::ORIGIN, "null")])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "blog.example"),
            (header::REFERER, "https://blog.example.evil/x")
        ])));
    }
}
