//! Likes on items, comments and notes, by users or anonymous visitors; exact counts.

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
