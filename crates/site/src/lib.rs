//! The public site: server-rendered HTML pages over the core, with comments and likes that
//! work without JavaScript, feeds, a sitemap and a theme site owners can edit.
//!
//! An adapter like the APIs: it reads through the core as the reader (anonymous, or the
//! signed-in session) and never decides who may see what. See [`urls`] for the URL scheme.
//!
//! Every response carries a Content-Security-Policy without inline script ([`CSP`]); pages
//! and feeds have validators and answer `304`; theme assets have content-hashed names and
//! are cached for a year; everything is compressed (gzip or brotli) when the client asks.

pub mod conditional;
pub mod feeds;
pub mod interact;
pub mod pages;
pub mod reader;
pub mod seo;
pub mod theme;
pub mod urls;
pub mod views;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use inkstone_http::AppState;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;

pub use reader::{PageOutput, Reader, SiteError};
pub use theme::{Theme, ThemeHandle};

/// The Content-Security-Policy of every site response: scripts and styles only from the
/// site's own files (no inline script or style, no `eval`), images and media from anywhere
/// over http(s) (posts embed them), forms posting only to the site, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; \
media-src 'self' https: http:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'self'; object-src 'none'";

/// `Cache-Control` of hashed theme assets: their names change with their content.
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// How long a rendered page is reused for anonymous readers before one of them renders it
/// again, which is how changes made by other processes (an import run from the command
/// line) reach the site. Changes made by this process make a page stale at once.
pub const PAGE_TTL: Duration = Duration::from_secs(1);

/// How long a rendered page nobody asks for stays in memory.
pub const PAGE_IDLE: Duration = Duration::from_secs(60);

/// The most memory rendered pages take, in bytes.
pub const PAGE_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The site's own state: the theme and the cache of rendered pages.
pub struct Site {
    pub theme: ThemeHandle,
    pages: moka::sync::Cache<String, Arc<reader::RenderedPage>>,
}

impl Site {
    /// A site with `theme`; rendered pages are kept while they are read at least once per
    /// [`PAGE_IDLE`], [`PAGE_CACHE_BYTES`] at most.
    pub fn new(theme: ThemeHandle) -> Site {
        let pages = moka::sync::Cache::builder()
            .max_capacity(PAGE_CACHE_BYTES)
            .weigher(|key: &String, page: &Arc<reader::RenderedPage>| {
                u32::try_from(key.len() + page.weight()).unwrap_or(u32::MAX)
            })
            .time_to_idle(PAGE_IDLE)
            .build();
        Site { theme, pages }
    }

    /// The embedded default theme, never reloaded (tests, and servers without a theme
    /// directory).
    pub fn embedded() -> Site {
        Site::new(ThemeHandle::embedded())
    }

    /// The default theme overridden by `dir` (usually `<data_dir>/theme`), watched for
    /// changes.
    ///
    /// Errors: the directory's theme does not load (a template that does not compile, a
    /// bad language file).
    pub fn with_theme_dir(dir: PathBuf) -> Result<Site, String> {
        Ok(Site::new(ThemeHandle::watching(dir)?))
    }
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").field("theme", &self.theme).finish_non_exhaustive()
    }
}

/// State of the site's handlers: the API state (the core, cookies, media) and the site,
/// behind one `Arc` because every request clones it.
#[derive(Clone)]
pub struct SiteState(Arc<SiteShared>);

/// What [`SiteState`] shares.
pub struct SiteShared {
    pub app: AppState,
    pub site: Arc<Site>,
}

impl SiteState {
    pub fn new(app: AppState, site: Arc<Site>) -> SiteState {
        SiteState(Arc::new(SiteShared { app, site }))
    }
}

impl std::ops::Deref for SiteState {
    type Target = SiteShared;

    fn deref(&self) -> &SiteShared {
        &self.0
    }
}

/// `GET /assets/{name}`: a theme asset by its hashed name, cached for a year.
async fn asset(State(state): State<SiteState>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let theme = state.site.theme.get();
    let Some(asset) = theme.asset(&name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    if conditional::is_fresh(&headers, &asset.etag, None) {
        return conditional::not_modified(&asset.etag, None, ASSET_CACHE_CONTROL);
    }
    let mut response = asset.bytes.clone().into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHE_CONTROL));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        out.insert(header::ETAG, etag);
    }
    response
}

/// The site's routes, with the 404 page as the fallback for every path nothing else
/// answers. Merge it last into the application (it owns the fallback).
pub fn router(app: AppState, site: Arc<Site>) -> Router {
    let state = SiteState::new(app, site);
    let security = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    Router::new()
        .route("/assets/{name}", get(asset))
        .merge(pages::routes())
        .merge(interact::routes())
        .merge(feeds::routes())
        .fallback(pages::fallback)
        .with_state(state)
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(security("content-security-policy", CSP))
        .layer(security("x-content-type-options", "nosniff"))
        .layer(security("referrer-policy", "strict-origin-when-cross-origin"))
}
