//! The ulthon_information dialect: `/index.php/api/...` (articles, attachments, key info)
//! with the per-key permission flags `can_write_own`, `can_write_other` and `can_delete`.
//!
//! Entry points (any method; parameters from the query string and a JSON or form body,
//! merged as ThinkPHP's `param()` does):
//! - `articles/index`, `articles/read`, `articles/save`, `articles/update`,
//!   `articles/delete` ([`articles`]);
//! - `attachments/index`, `attachments/upload` (multipart), `attachments/delete`
//!   ([`attachments`]);
//! - `api_key_info/info` ([`key_info`]).
//!
//! Every request needs an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`);
//! every reply is the envelope of [`envelope`]; every permission decision is the core's.
//! Other paths under `/index.php/api/` answer `接口不存在` in the same envelope. Choices
//! where the ulthon document is silent are written down in `docs/dialects/ulthon.md`.

pub mod articles;
pub mod attachments;
pub mod call;
pub mod dates;
pub mod envelope;
pub mod key_info;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::Response;
use axum::routing::any;
use inkstone_http::AppState;

use crate::call::Call;
use crate::envelope::{UlthonError, respond};

/// The ulthon API's base path.
pub const BASE: &str = "/index.php/api";

/// The endpoints of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ArticlesIndex,
    ArticlesRead,
    ArticlesSave,
    ArticlesUpdate,
    ArticlesDelete,
    AttachmentsIndex,
    AttachmentsUpload,
    AttachmentsDelete,
    KeyInfo,
}

impl Endpoint {
    /// Every endpoint with its path under [`BASE`].
    pub const ALL: &'static [(Endpoint, &'static str)] = &[
        (Endpoint::ArticlesIndex, "/articles/index"),
        (Endpoint::ArticlesRead, "/articles/read"),
        (Endpoint::ArticlesSave, "/articles/save"),
        (Endpoint::ArticlesUpdate, "/articles/update"),
        (Endpoint::ArticlesDelete, "/articles/delete"),
        (Endpoint::AttachmentsIndex, "/attachments/index"),
        (Endpoint::AttachmentsUpload, "/attachments/upload"),
        (Endpoint::AttachmentsDelete, "/attachments/delete"),
        (Endpoint::KeyInfo, "/api_key_info/info"),
    ];
}

/// Authenticates, reads the parameters and runs the endpoint.
async fn serve(state: AppState, request: Request, endpoint: Endpoint) -> Response {
    let call = match Call::read(state, request).await {
        Ok(call) => call,
        Err(error) => return respond(Err(error)),
    };
    respond(match endpoint {
        Endpoint::ArticlesIndex => articles::index(call).await,
        Endpoint::ArticlesRead => articles::read(call).await,
        Endpoint::ArticlesSave => articles::save(call).await,
        Endpoint::ArticlesUpdate => articles::update(call).await,
        Endpoint::ArticlesDelete => articles::delete(call).await,
        Endpoint::AttachmentsIndex => attachments::index(call).await,
        Endpoint::AttachmentsUpload => attachments::upload(call).await,
        Endpoint::AttachmentsDelete => attachments::delete(call).await,
        Endpoint::KeyInfo => key_info::info(call).await,
    })
}

async fn unknown() -> Response {
    respond(Err(UlthonError::no_such_endpoint()))
}

/// The routes under `/index.php/api/`. Uploads are exempt from the default body limit: the
/// upload pipeline enforces the configured file limit as it streams.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for &(endpoint, path) in Endpoint::ALL {
        let handler = move |State(state): State<AppState>, request: Request| serve(state, request, endpoint);
        let route = any(handler);
        let route = if endpoint == Endpoint::AttachmentsUpload {
            route.layer(DefaultBodyLimit::disable())
        } else {
            route
        };
        router = router.route(&format!("{BASE}{path}"), route);
    }
    router
        .route(&format!("{BASE}/{{*rest}}"), any(unknown))
        .route(&format!("{BASE}/"), any(unknown))
        .route(BASE, any(unknown))
        .with_state(state)
}
