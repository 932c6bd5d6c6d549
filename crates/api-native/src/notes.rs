//! Short notes (emlog 微语, Qexo 说说): Markdown bodies, tags, privacy, free JSON values.

use axum::Router;
use inkstone_http::AppState;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi()]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
}
