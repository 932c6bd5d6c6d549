//! The reader of a page: who they are, how their page is rendered, cached, validated and
//! sent, and how errors become pages.
//!
//! Handlers extract a [`Reader`], try [`Reader::cached`], build a [`PageOutput`] and hand it
//! to [`Reader::respond`]; whatever they return goes through [`Reader::finish`], which turns
//! a [`SiteError`] into an HTML page in the site's language.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use inkstone_core::accounts::SessionAuth;
use inkstone_core::content::ListParams;
use inkstone_core::model::{ItemKind, ItemStatus, User};
use inkstone_core::{Actor, Core, CoreError, ErrorCode, Locale, Settings};
use inkstone_http::cache::Freshness;
use inkstone_http::{SESSION_COOKIE, VISITOR_COOKIE, cookie};
use minijinja::value::Value;
use serde::Serialize;

use crate::conditional;
use crate::theme::{FORM_TOKEN_PLACEHOLDER, Theme};
use crate::views::PostSummary;
use crate::{PAGE_TTL, SiteState, urls};

/// `Cache-Control` of HTML pages: browsers and proxies may keep them but must revalidate
/// (a `304` when nothing changed).
pub const PAGE_CACHE_CONTROL: &str = "no-cache";
/// `Cache-Control` of pages made for one signed-in reader or unlocked with a password.
pub const PRIVATE_CACHE_CONTROL: &str = "private, no-cache";
/// `Content-Type` of HTML pages.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// Why a page could not be shown; [`Reader::finish`] renders each as a page.
#[derive(Debug)]
pub enum SiteError {
    /// 404 with the helpful not-found page.
    NotFound,
    /// A redirect: 301 (permanent) or 302 (found).
    Redirect { to: String, permanent: bool },
    /// A core error: its [`error_status`] page (the 404 page for `not_found`), 500 without
    /// internals.
    Core(CoreError),
    /// A status with a message for the reader, in the site's language.
    Status(StatusCode, String),
    /// A theme template failed: logged, and a bare 500 page is shown.
    Render(String),
}

impl From<CoreError> for SiteError {
    fn from(err: CoreError) -> SiteError {
        if err.code == ErrorCode::NotFound { SiteError::NotFound } else { SiteError::Core(err) }
    }
}

impl From<minijinja::Error> for SiteError {
    fn from(err: minijinja::Error) -> SiteError {
        SiteError::Render(format!("{err:#}"))
    }
}

/// What a reader is told about a core error, in `locale`: its detail, else its title.
pub fn core_message(err: &CoreError, locale: Locale) -> String {
    match &err.detail {
        Some(detail) => detail.get(locale).to_string(),
        None => err.code.title(locale).to_string(),
    }
}

/// The status of a page or form answer refused by the core. Input the reader can fix
/// (fields, captcha) is 400; what may not be done here (comments closed, not allowed) 403;
/// a duplicate 409; too many tries 429; an internal failure 500.
pub fn error_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidInput | ErrorCode::CaptchaFailed => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated
        | ErrorCode::InvalidCredentials
        | ErrorCode::Forbidden
        | ErrorCode::InvalidState => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict | ErrorCode::EditConflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `response` with `Retry-After` when `err` is a rate limit that says when to retry.
pub fn with_retry_after(mut response: Response, err: Option<&CoreError>) -> Response {
    if let Some(secs) = err.and_then(|err| err.retry_after_secs) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// A page a handler built, before the layout and caching.
#[derive(Debug)]
pub struct PageOutput {
    /// Template name, e.g. `post.html`.
    pub template: String,
    /// The page's own variables; the layout's (`site`, `viewer`, `lang`, `canonical`,
    /// `path`) are added.
    pub context: Value,
    pub status: StatusCode,
    /// When what the page shows last changed (`Last-Modified`).
    pub last_modified: Option<DateTime<Utc>>,
    /// Whether the page may be shared by every anonymous reader (false for a page
    /// unlocked by a password cookie, say).
    pub shared: bool,
    /// The canonical path when it differs from the request's path and `?page=N`.
    pub canonical: Option<String>,
}

impl PageOutput {
    /// A 200 page, shareable among anonymous readers.
    pub fn new(template: impl Into<String>, context: Value) -> PageOutput {
        PageOutput {
            template: template.into(),
            context,
            status: StatusCode::OK,
            last_modified: None,
            shared: true,
            canonical: None,
        }
    }

    pub fn last_modified(mut self, at: Option<DateTime<Utc>>) -> PageOutput {
        self.last_modified = at;
        self
    }
}

/// A rendered page, as kept in the page cache.
#[derive(Debug)]
pub struct RenderedPage {
    generation: u64,
    theme: String,
    status: StatusCode,
    /// [`HTML_CONTENT_TYPE`] for pages; feeds and crawler files have their own.
    content_type: &'static str,
    /// The body cut at every [`FORM_TOKEN_PLACEHOLDER`]: a reader's form token goes between
    /// each two parts. One part when the page has no form.
    parts: Vec<Bytes>,
    etag: String,
    last_modified: Option<DateTime<Utc>>,
    /// Renewed after [`PAGE_TTL`] by one reader while the others are served this copy.
    freshness: Freshness,
}

impl RenderedPage {
    fn new(
        reader: &Reader,
        status: StatusCode,
        content_type: &'static str,
        body: Bytes,
        last_modified: Option<DateTime<Utc>>,
    ) -> RenderedPage {
        let etag = conditional::weak_etag(&body);
        let mut parts = Vec::with_capacity(1);
        let mut rest = body;
        while let Some(at) = memchr::memmem::find(&rest, FORM_TOKEN_PLACEHOLDER.as_bytes()) {
            parts.push(rest.split_to(at));
            rest = rest.split_off(FORM_TOKEN_PLACEHOLDER.len());
        }
        parts.push(rest);
        RenderedPage {
            generation: reader.generation,
            theme: reader.theme.fingerprint.clone(),
            status,
            content_type,
            parts,
            etag,
            last_modified,
            freshness: Freshness::new(PAGE_TTL),
        }
    }

    /// Bytes it holds, for the cache's budget.
    pub fn weight(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum::<usize>() + self.etag.len() + 160
    }

    fn has_form(&self) -> bool {
        self.parts.len() > 1
    }

    /// The body with `token` in every form.
    fn body_with(&self, token: &str) -> Bytes {
        if let [only] = self.parts.as_slice() {
            return only.clone();
        }
        let size = self.parts.iter().map(Bytes::len).sum::<usize>() + token.len() * (self.parts.len() - 1);
        let mut body = BytesMut::with_capacity(size);
        for (index, part) in self.parts.iter().enumerate() {
            if index > 0 {
                body.extend_from_slice(token.as_bytes());
            }
            body.extend_from_slice(part);
        }
        body.freeze()
    }
}

/// The person reading, with everything a page needs to know about the request.
pub struct Reader {
    pub state: SiteState,
    pub core: Arc<Core>,
    pub settings: Arc<Settings>,
    pub theme: Arc<Theme>,
    pub actor: Actor,
    /// The signed-in reader (session cookie), if any.
    pub viewer: Option<User>,
    pub session: Option<SessionAuth>,
    /// The site's language: pages are the same for every reader, so they can be cached.
    pub locale: Locale,
    pub headers: HeaderMap,
    pub uri: Uri,
    pub ip: Option<IpAddr>,
    /// The reader's well-formed `inkstone_visitor` cookie, if sent.
    pub visitor: Option<String>,
    /// The content generation when the request arrived: a page built now is stored under
    /// it, so a change made meanwhile makes it stale at once.
    generation: u64,
    /// Set when this reader claimed the re-render of an expired cached page: unless a new
    /// page replaces it, [`Reader::finish`] drops the old one (the item may be gone).
    refreshing: AtomicBool,
}

impl FromRequestParts<SiteState> for Reader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &SiteState) -> Result<Reader, Self::Rejection> {
        let core = state.app.core.clone();
        let generation = core.content_generation();
        let ip = inkstone_http::client_ip(parts);
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            // Forms carry the site's own token (see `verify_form`), so the session is
            // resolved directly rather than through the API's `X-CSRF-Token` rule.
            Some(token) => core.authenticate_session(token, ip).await.ok().flatten(),
            None => None,
        };
        let viewer = match &session {
            Some(session) => core.user(session.principal.user_id).await.ok(),
            None => None,
        };
        let actor = match &session {
            Some(session) => Actor::User(session.principal.clone()),
            None => Actor::Anonymous,
        };
        let settings = core.settings();
        let visitor = cookie(&parts.headers, VISITOR_COOKIE)
            .filter(|value| inkstone_core::likes::is_visitor_id(value))
            .map(str::to_string);
        Ok(Reader {
            theme: state.site.theme.get(),
            locale: settings.language(),
            settings,
            state: state.clone(),
            core,
            actor,
            viewer,
            session,
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
            ip,
            visitor,
            generation,
            refreshing: AtomicBool::new(false),
        })
    }
}

#[derive(Serialize)]
struct SiteInfo<'a> {
    title: &'a str,
    description: &'a str,
    url: &'a str,
    language: &'static str,
}

#[derive(Serialize)]
struct ViewerInfo {
    id: i64,
    username: String,
    name: String,
    url: String,
}

impl Reader {
    /// Whether the page is the same for this reader as for any anonymous one.
    pub fn is_anonymous(&self) -> bool {
        self.session.is_none()
    }

    /// The path and query of the request (the page cache key).
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/")
    }

    /// The request's query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        inkstone_http::query_param(self.uri.query(), name)
    }

    /// `?page=N` (1 when absent or not a whole number above 0).
    pub fn page_number(&self) -> i64 {
        self.query("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1)
    }

    /// The page already rendered for this URL, when the reader is anonymous and nothing
    /// readers can see has changed in this process since. Once the page is older than
    /// [`PAGE_TTL`], one reader gets `None` and renders it again while the others are
    /// still served this copy.
    pub fn cached(&self) -> Option<Response> {
        if !self.is_anonymous() {
            return None;
        }
        let page = self.state.site.pages.get(self.path_and_query())?;
        if page.generation != self.generation || page.theme != self.theme.fingerprint {
            return None;
        }
        if page.freshness.claim_refresh(PAGE_TTL) {
            self.refreshing.store(true, Ordering::Release);
            return None;
        }
        Some(self.send(&page))
    }

    /// Keeps `page` for the next anonymous readers of this URL.
    fn store(&self, page: RenderedPage) {
        self.state.site.pages.insert(self.path_and_query().to_string(), Arc::new(page));
        self.refreshing.store(false, Ordering::Release);
    }

    /// The variables every template gets: `site`, `viewer`, `lang`, `path`, `canonical`
    /// (absolute), `year`.
    pub fn layout_context(&self, canonical: Option<&str>) -> Value {
        let settings = &self.settings;
        let path = self.uri.path();
        let canonical_path = match canonical {
            Some(path) => path.to_string(),
            None => urls::with_page(path, self.page_number()),
        };
        let viewer = self.viewer.as_ref().map(|user| ViewerInfo {
            id: user.id,
            username: user.username.clone(),
            name: if user.display_name.trim().is_empty() {
                user.username.clone()
            } else {
                user.display_name.clone()
            },
            url: urls::author_path(&user.username),
        });
        minijinja::context! {
            site => SiteInfo {
                title: settings.site_title(),
                description: settings.get("site.description").unwrap_or_default(),
                url: settings.site_url(),
                language: self.locale.tag(),
            },
            lang => self.locale.tag(),
            viewer => viewer,
            path => path,
            canonical => urls::absolute(settings, &canonical_path),
            year => chrono::Datelike::year(&self.core.now().with_timezone(&settings.time_zone())),
        }
    }

    /// Renders `page` in the layout, keeps it for other anonymous readers when it is
    /// shareable, and sends it.
    ///
    /// Errors: the template failed ([`SiteError::Render`]).
    pub fn respond(&self, page: PageOutput) -> Result<Response, SiteError> {
        let context =
            minijinja::context! { ..page.context, ..self.layout_context(page.canonical.as_deref()) };
        let html = self.theme.render(&page.template, context)?;
        let rendered =
            RenderedPage::new(self, page.status, HTML_CONTENT_TYPE, Bytes::from(html), page.last_modified);
        let shared = page.shared && self.is_anonymous();
        let mut response = self.send(&rendered);
        if !shared {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE_CACHE_CONTROL));
        }
        if shared && page.status == StatusCode::OK {
            self.store(rendered);
        }
        Ok(response)
    }

    /// Sends a document that is not a themed page (a feed, the sitemap): validated and
    /// kept for other anonymous readers exactly like a page, so [`Reader::cached`] answers
    /// the next request for the same URL until content changes. `body` must be the same
    /// for every reader (no form tokens).
    pub fn respond_document(
        &self,
        content_type: &'static str,
        body: impl Into<Bytes>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Response {
        let rendered = RenderedPage::new(self, StatusCode::OK, content_type, body.into(), last_modified);
        let response = self.send(&rendered);
        if self.is_anonymous() {
            self.store(rendered);
        }
        response
    }

    /// The form token of visitor `visitor`: a keyed digest only this server can make.
    pub fn form_token_for(&self, visitor: &str) -> String {
        self.core.install_digest(&format!("site-form\u{0}{visitor}"))[..32].to_string()
    }

    /// Checks a submitted form's token against the reader's visitor cookie (double submit:
    /// another site can neither read the cookie nor compute the token).
    ///
    /// Errors: 403 with a "reload the page" message.
    pub fn verify_form(&self, token: &str) -> Result<(), SiteError> {
        let ok = self.visitor.as_deref().is_some_and(|visitor| {
            inkstone_core::secrets::constant_time_eq(token.trim(), &self.form_token_for(visitor))
        });
        if ok {
            Ok(())
        } else {
            Err(SiteError::Status(StatusCode::FORBIDDEN, self.text("error.form_expired")))
        }
    }

    /// Interface string `key` in the site's language (the theme's `i18n` files).
    pub fn text(&self, key: &str) -> String {
        self.theme.text(key, self.locale.tag())
    }

    fn send(&self, page: &RenderedPage) -> Response {
        let mut set_cookie = None;
        let (body, etag) = if page.has_form() {
            let visitor = match &self.visitor {
                Some(visitor) => visitor.clone(),
                None => {
                    let (visitor, set) =
                        inkstone_http::visitor(&HeaderMap::new(), None, self.state.app.secure_cookies);
                    set_cookie = set;
                    visitor.cookie.unwrap_or_default()
                }
            };
            let token = self.form_token_for(&visitor);
            let etag = format!("{}-{}\"", page.etag.trim_end_matches('"'), &token[..8]);
            (page.body_with(&token), etag)
        } else {
            (page.body_with(""), page.etag.clone())
        };
        let cache_control = if self.is_anonymous() { PAGE_CACHE_CONTROL } else { PRIVATE_CACHE_CONTROL };
        if page.status == StatusCode::OK
            && set_cookie.is_none()
            && conditional::is_fresh(&self.headers, &etag, page.last_modified)
        {
            return conditional::not_modified(&etag, page.last_modified, cache_control);
        }
        let mut response = (page.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(page.content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
        conditional::set_validators(headers, &etag, page.last_modified);
        if let Some(set) = set_cookie.and_then(|set| HeaderValue::from_str(&set).ok()) {
            headers.append(header::SET_COOKIE, set);
        }
        response
    }

    /// Sends a handler's result: the response, or the error as a page.
    pub async fn finish(&self, result: Result<Response, SiteError>) -> Response {
        if self.refreshing.swap(false, Ordering::AcqRel) {
            // This reader re-rendered an expired page and got no page to keep (the item
            // was deleted or moved by another process): the old copy must not live on.
            self.state.site.pages.invalidate(self.path_and_query());
        }
        match result {
            Ok(response) => response,
            Err(SiteError::Redirect { to, permanent }) => {
                // 301/302 rather than axum's 308/303: what the docs promise, and what
                // crawlers and old clients know best for a moved or forwarded page.
                let status = if permanent { StatusCode::MOVED_PERMANENTLY } else { StatusCode::FOUND };
                match HeaderValue::from_str(&to) {
                    Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
                    Err(_) => self.not_found().await,
                }
            }
            Err(SiteError::NotFound) => self.not_found().await,
            Err(SiteError::Status(status, message)) => self.error_page(status, &message),
            Err(SiteError::Core(err)) => {
                let status = error_status(err.code);
                if status == StatusCode::NOT_FOUND {
                    return self.not_found().await;
                }
                let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(error = %err, "site page failed");
                    self.text("error.internal")
                } else {
                    core_message(&err, self.locale)
                };
                with_retry_after(self.error_page(status, &message), Some(&err))
            }
            Err(SiteError::Render(message)) => {
                tracing::error!(error = %message, "theme template failed");
                let mut response =
                    (StatusCode::INTERNAL_SERVER_ERROR, self.text("error.internal")).into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
                response
            }
        }
    }

    fn error_page(&self, status: StatusCode, message: &str) -> Response {
        let context = minijinja::context! { status => status.as_u16(), message => message };
        let mut page = PageOutput::new("error.html", context);
        page.status = status;
        page.shared = false;
        match self.respond(page) {
            Ok(response) => response,
            Err(_) => (status, message.to_string()).into_response(),
        }
    }

    /// The 404 page: a search box and the latest posts.
    pub async fn not_found(&self) -> Response {
        let params = ListParams {
            kind: Some(ItemKind::Post),
            status: Some(ItemStatus::Published),
            per_page: Some(5),
            ..ListParams::default()
        };
        let recent = match self.core.list_items(&Actor::Anonymous, params).await {
            Ok(page) => PostSummary::list(&page, &self.settings),
            Err(_) => Vec::new(),
        };
        let mut page = PageOutput::new("404.html", minijinja::context! { recent => recent });
        page.status = StatusCode::NOT_FOUND;
        page.shared = false;
        match self.respond(page) {
            Ok(response) => response,
            Err(_) => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        }
    }
}
